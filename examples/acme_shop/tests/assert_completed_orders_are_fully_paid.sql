-- A completed order must be paid in full: its successful payments add up to the sum of its lines.
select
    order_id,
    order_amount,
    amount_paid
from {{ ref('fct_orders') }}
where order_status = 'completed'
    and abs(order_amount - amount_paid) > 0.005
