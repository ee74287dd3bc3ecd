select
    order_date,
    count(*) as orders_count,
    sum(order_amount) as gross_revenue,
    sum(order_margin) as gross_margin,
    avg(order_amount) as avg_order_value,
    sum(amount_paid) as cash_collected

from {{ ref('fct_orders') }}
where order_status <> 'cancelled'
group by order_date
