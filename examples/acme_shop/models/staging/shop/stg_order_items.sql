with source as (

    select * from {{ source('shop', 'order_items') }}

),

renamed as (

    select
        id as order_item_id,
        order_id,
        product_id,
        quantity,
        cast(unit_price_cents / 100.0 as decimal(10, 2)) as unit_price

    from source

)

select * from renamed
