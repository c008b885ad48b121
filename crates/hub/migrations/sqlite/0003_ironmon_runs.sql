-- An IronMON run ends with a lost battle: why it ended (NULL while it is played).
ALTER TABLE seeds ADD COLUMN end_reason TEXT;
