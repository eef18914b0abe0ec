"""The console's panes and bars, one module each."""
