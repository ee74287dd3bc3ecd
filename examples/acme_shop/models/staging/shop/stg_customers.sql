with source as (

    select * from {{ source('shop', 'customers') }}

),

renamed as (

    select
        id as customer_id,
        first_name,
        last_name,
        lower(trim(email)) as email,
        phone,
        cast(date_of_birth as date) as dob,
        address_line1,
        address_line2,
        postal_code,
        upper(country_code) as country_code,
        ssn_last4,
        address_line1 is not null and postal_code is not null as is_address_valid,
        marketing_opt_in,
        email_verified,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
