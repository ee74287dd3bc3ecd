with order_items as (

    select * from {{ ref('int_order_items_enriched') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

)

select
    oi.order_item_id,
    oi.order_id,
    o.customer_id,
    o.order_date,
    oi.product_id,
    oi.product_name,
    oi.category,
    oi.quantity,
    oi.unit_price,
    oi.line_amount,
    oi.line_margin

from order_items as oi
inner join orders as o
    on oi.order_id = o.order_id
where o.status <> 'cancelled'
