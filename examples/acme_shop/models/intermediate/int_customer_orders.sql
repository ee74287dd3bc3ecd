with orders as (

    select * from {{ ref('int_orders_with_payments') }}

)

select
    customer_id,
    count(*) as orders_count,
    sum(order_amount) as lifetime_value,
    avg(order_amount) as avg_order_value,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date

from orders
where status <> 'cancelled'
group by customer_id
