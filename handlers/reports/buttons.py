"""Buttons of /report."""
from models.callback_data import Codec

PANEL = Codec("rpt")  # 📊 Báo cáo on the officer's panel: today's meetings of every cell in scope, as /report
