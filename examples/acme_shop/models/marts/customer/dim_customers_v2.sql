with customers as (

    select * from {{ ref('stg_customers') }}

),

countries as (

    select * from {{ ref('stg_countries') }}

),

orders as (

    select * from {{ ref('int_customer_orders') }}

)

select
    c.customer_id,
    c.first_name || ' ' || c.last_name as customer_full_name,
    c.email,
    sha256(c.phone) as phone_hash,
    '***-***-' || right(c.phone, 4) as phone_masked,
    c.country_code,
    co.country_name,
    co.region,
    cast(c.created_at as date) as signup_date,
    c.is_address_valid,
    c.email_verified,
    c.marketing_opt_in,
    coalesce(o.orders_count, 0) as orders_count,
    coalesce(o.lifetime_value, 0) as lifetime_value,
    o.first_order_date,
    o.last_order_date,
    case
        when o.orders_count is null then 'prospect'
        when o.orders_count = 1 then 'new'
        when o.lifetime_value >= 500 then 'vip'
        else 'returning'
    end as customer_segment

from customers as c
left join countries as co
    on c.country_code = co.country_code
left join orders as o
    on c.customer_id = o.customer_id
