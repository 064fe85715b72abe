-- sqlite3: a write-heavy session on an in-memory database: inserts of @N@ rows with an
-- index, updates, deletes, a join into a new table, and checksums. run.py replaces @N@.
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);
CREATE INDEX item_grp ON item(grp, name);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @N@)
INSERT INTO item SELECT i, printf('name-%08d-%s', (i * 7919) % @N@, hex(i * 31)), i % 97, i * 0.5 FROM n;
UPDATE item SET name = name || '-x', val = val * 2 WHERE grp % 3 = 0;
DELETE FROM item WHERE grp % 7 = 1;
CREATE TABLE summary AS SELECT grp, count(*) AS c, sum(val) AS s, max(name) AS m FROM item GROUP BY grp;
CREATE TABLE pairs AS SELECT a.id AS x, b.id AS y FROM item a JOIN item b ON b.id = a.id + 1 WHERE a.grp < 20;
REINDEX item_grp;
SELECT count(*), sum(c), printf('%.1f', sum(s)), max(m) FROM summary;
SELECT count(*), sum(x - y) FROM pairs;
