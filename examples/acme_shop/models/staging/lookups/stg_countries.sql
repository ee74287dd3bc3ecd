with countries as (

    select * from {{ ref('countries') }}

)

select
    upper(country_code) as country_code,
    country_name,
    region,
    currency_code

from countries
