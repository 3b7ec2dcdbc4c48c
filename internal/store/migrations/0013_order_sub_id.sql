-- orders: the person-level id of JD (subUnionId) and Pinduoduo
-- (custom_parameters) orders, as relation_id and special_id are Alimama's.
ALTER TABLE orders ADD COLUMN sub_id TEXT NOT NULL DEFAULT '';
