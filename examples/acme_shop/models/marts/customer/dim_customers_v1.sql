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
    c.first_name || ' ' || c.last_name as full_name,
    c.email,
    c.phone,
    c.dob,
    c.country_code,
    co.country_name,
    c.created_at,
    c.email_verified,
    c.marketing_opt_in,
    coalesce(o.orders_count, 0) as orders_count,
    coalesce(o.lifetime_value, 0) as lifetime_value

from customers as c
left join countries as co
    on c.country_code = co.country_code
left join orders as o
    on c.customer_id = o.customer_id
