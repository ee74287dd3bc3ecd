{{ config(materialized='ephemeral') }}

with order_items as (

    select * from {{ ref('stg_order_items') }}

),

products as (

    select * from {{ ref('stg_products') }}

)

select
    oi.order_item_id,
    oi.order_id,
    oi.product_id,
    p.product_name,
    p.category,
    oi.quantity,
    oi.unit_price,
    oi.quantity * oi.unit_price as line_amount,
    oi.quantity * (oi.unit_price - p.cost) as line_margin

from order_items as oi
inner join products as p
    on oi.product_id = p.product_id
