with orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('int_order_items_enriched') }}

),

order_totals as (

    select
        order_id,
        count(*) as item_count,
        sum(quantity) as units,
        sum(line_amount) as order_amount,
        sum(line_margin) as order_margin

    from order_items
    group by order_id

)

select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    o.order_date,
    o.status,
    o.is_fulfilled,
    o.billing_zip,
    o.shipping_country_code,
    t.item_count,
    t.units,
    t.order_amount,
    t.order_margin,
    coalesce(paid.amount_paid, 0) as amount_paid,
    coalesce(paid.payment_count, 0) as payment_count,
    coalesce(paid.amount_paid, 0) >= t.order_amount as is_fully_paid,
    row_number() over (partition by o.customer_id order by o.ordered_at, o.order_id) as customer_order_number

from orders as o
inner join order_totals as t
    on o.order_id = t.order_id
left join (
    select
        order_id,
        sum(amount) as amount_paid,
        count(*) as payment_count
    from {{ ref('stg_payments') }}
    where is_successful
    group by order_id
) as paid
    on o.order_id = paid.order_id
