-- A mart as dbt compiles it on Snowflake: import CTEs, an aggregate CTE, a final join.
with

customers as (

    select * from analytics.main.customers

),

orders as (

    select * from ANALYTICS.MAIN.ORDERS
    where status != 'cancelled'

),

order_totals as (

    select
        customer_id,
        sum(amount) as lifetime_amount,
        min(ordered_at) as first_ordered_at,
        count(*) as order_count
    from orders
    group by 1

),

final as (

    select
        customers.id as customer_id,
        md5(lower(trim(customers.email))) as email_hash,
        iff(customers.status = 'active', 'active', 'churned') as customer_status,
        coalesce(order_totals.lifetime_amount, 0) as lifetime_amount,
        order_totals.first_ordered_at,
        order_totals.order_count
    from customers
    left join order_totals
        on customers.id = order_totals.customer_id
    qualify row_number() over (partition by customers.id order by customers.created_at desc) = 1

)

select * from final
