with customers as (

    select * from {{ ref('stg_customers') }}
    where marketing_opt_in

),

orders as (

    select * from {{ ref('int_customer_orders') }}

),

touchpoints as (

    select
        customer_id,
        max(occurred_at) as last_touchpoint_at,
        count(*) as touchpoints_count
    from {{ ref('int_customer_touchpoints') }}
    group by customer_id

)

select
    c.customer_id,
    md5(lower(c.email)) as email_hash,
    sha256(c.phone) as phone_hash,
    c.phone is not null as has_phone,
    c.country_code,
    c.email_verified,
    c.marketing_opt_in as email_opt_in,
    coalesce(o.orders_count, 0) as orders_count,
    coalesce(o.lifetime_value, 0) as lifetime_value,
    t.last_touchpoint_at,
    coalesce(t.touchpoints_count, 0) as touchpoints_count,
    case
        when o.lifetime_value >= 500 then 'high'
        when o.lifetime_value >= 100 then 'medium'
        else 'low'
    end as value_tier

from customers as c
left join orders as o
    on c.customer_id = o.customer_id
left join touchpoints as t
    on c.customer_id = t.customer_id
