{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with orders as (

    select * from {{ ref('int_orders_with_payments') }}
    {% if is_incremental() %}
    where ordered_at > (select max(ordered_at) from {{ this }})
    {% endif %}

)

select
    order_id,
    customer_id,
    ordered_at,
    order_date,
    status as order_status,
    is_fulfilled,
    shipping_country_code,
    item_count,
    units,
    order_amount,
    order_margin,
    amount_paid,
    is_fully_paid,
    customer_order_number,
    customer_order_number = 1 as is_first_order

from orders
