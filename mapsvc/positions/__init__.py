"""Position reports from members' phones: batches stored once, the latest wins, history per member."""
