with payments as (

    select * from {{ ref('stg_payments') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

)

select
    p.payment_id,
    p.order_id,
    o.customer_id,
    p.payment_method,
    p.card_brand,
    p.payment_status,
    p.is_successful,
    p.amount,
    cast(p.paid_at as date) as paid_date,
    p.paid_at

from payments as p
inner join orders as o
    on p.order_id = o.order_id
