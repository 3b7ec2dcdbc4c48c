-- The advisor loads one category at a time.
CREATE INDEX items_category ON items (category_path);
