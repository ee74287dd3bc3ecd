with source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        id as product_id,
        sku,
        name as product_name,
        category,
        cast(price_cents / 100.0 as decimal(10, 2)) as price,
        cast(cost_cents / 100.0 as decimal(10, 2)) as cost,
        is_active

    from source

)

select * from renamed
