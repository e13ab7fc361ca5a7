"""The park's register and everything about dorms (firms, workers, accounts, buildings, units)."""
