"""What supervisors and managers read off a station: attention lists, the agenda, the supervision cycle
(action items, since last time) and case and group analysis. Reads the domain and the indicator engine's
results; pure code."""
