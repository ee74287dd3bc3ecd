with completed_orders as (

    select * from {{ ref('stg_completed_orders') }}

),

orders as (

    select * from {{ ref('int_orders_with_payments') }}

)

select
    completed_orders.customer_id,
    count(*) as completed_orders_count,
    sum(orders.order_amount) as completed_revenue,
    avg(orders.order_amount) as avg_completed_order_value,
    count(distinct completed_orders.billing_zip) as zip_code_count,
    max(completed_orders.order_date) as last_completed_order_date

from completed_orders
inner join orders
    on completed_orders.order_id = orders.order_id
group by completed_orders.customer_id
