"""Plotly figures shared by the reports, the dashboards and the notebook gallery."""
