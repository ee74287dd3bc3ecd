with products as (

    select * from {{ ref('stg_products') }}

),

sales as (

    select
        product_id,
        sum(quantity) as units_sold,
        sum(line_amount) as revenue
    from {{ ref('int_order_items_enriched') }}
    group by product_id

)

select
    p.product_id,
    p.sku,
    p.product_name,
    p.category,
    p.price,
    p.cost,
    round((p.price - p.cost) / p.price, 4) as margin_rate,
    p.is_active,
    coalesce(s.units_sold, 0) as units_sold,
    coalesce(s.revenue, 0) as revenue

from products as p
left join sales as s
    on p.product_id = s.product_id
