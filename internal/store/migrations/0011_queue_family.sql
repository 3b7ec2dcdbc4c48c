-- publish: a plan's queue holds an item once per platform family. Taobao and
-- Tmall share one item id space (catalog's Platform.Family), so tmall:1 and
-- taobao:1 are one entry: the first queued stays.
DELETE FROM plan_queue WHERE EXISTS (SELECT 1 FROM plan_queue o WHERE o.plan_id = plan_queue.plan_id
    AND o.item_id = plan_queue.item_id AND o.id < plan_queue.id
    AND (CASE WHEN o.platform = 'tmall' THEN 'taobao' ELSE o.platform END)
        = (CASE WHEN plan_queue.platform = 'tmall' THEN 'taobao' ELSE plan_queue.platform END));
CREATE UNIQUE INDEX plan_queue_family ON plan_queue (plan_id, (CASE WHEN platform = 'tmall' THEN 'taobao' ELSE platform END), item_id);
