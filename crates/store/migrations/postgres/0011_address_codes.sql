-- A standard address's code (标准地址编码), the key the registers' records
-- name their address by. Rows imported before this column have none: import
-- the register again to link them.
ALTER TABLE imported_places ADD COLUMN code TEXT;
