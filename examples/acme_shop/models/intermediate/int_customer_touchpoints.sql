with web_purchases as (

    select
        customer_id,
        'event-' || event_id as touchpoint_id,
        'web_purchase' as touchpoint_type,
        occurred_at,
        page_url as detail
    from {{ ref('stg_web_events') }}
    where event_type = 'purchase'
        and customer_id is not null

),

tickets as (

    select
        customer_id,
        'ticket-' || ticket_id as touchpoint_id,
        'support_ticket' as touchpoint_type,
        opened_at as occurred_at,
        subject as detail
    from {{ ref('stg_support_tickets') }}

),

orders as (

    select
        customer_id,
        'order-' || order_id as touchpoint_id,
        'order' as touchpoint_type,
        ordered_at as occurred_at,
        status as detail
    from {{ ref('stg_orders') }}

),

unioned as (

    select * from web_purchases
    union all
    select * from tickets
    union all
    select * from orders

)

select
    customer_id,
    touchpoint_id,
    touchpoint_type,
    occurred_at,
    detail,
    row_number() over (partition by customer_id order by occurred_at, touchpoint_id) as touchpoint_number

from unioned
