-- Completed orders only, so that reports of completed business do not each repeat the filter.
select *
from {{ ref('stg_orders') }}
where status = 'completed'
