"""Write the acme_shop seed CSVs: invented, deterministic raw data for an online shop.

Run from anywhere: ``python examples/acme_shop/scripts/generate_seeds.py``. The same code always writes
byte-identical files (one ``random.Random`` with a fixed seed, no clock). Every person, email, phone
number and address is made up: emails use ``example.com``, phones the fictional 555-01xx range, IP
addresses the documentation ranges of RFC 5737.

Two dirty rows are planted on purpose so that two ``severity: warn`` tests fire in ``dbt build``:
customer 37 has an email that is not an email address, and one support ticket names customer 9999,
who does not exist.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
RANDOM_SEED = 20240611
START = dt.datetime(2024, 1, 1, 8, 0, 0)

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jonas", "Keiko", "Liam",
    "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wes", "Xena",
    "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dmitri",
)
LAST_NAMES = (
    "Abbott", "Bergström", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ito", "Jansen",
    "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Neil", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
    "Ueda", "Van Dijk", "Walsh", "Yilmaz", "Zimmermann",
)
STREETS = ("Maple", "Harbour", "Station", "Linden", "Orchard", "Mill", "Canal", "Church", "Willow", "Bridge")
COUNTRIES = (
    # code, name, region, currency, weight for customers
    ("US", "United States", "North America", "USD", 30),
    ("CA", "Canada", "North America", "CAD", 8),
    ("GB", "United Kingdom", "Europe", "GBP", 12),
    ("DE", "Germany", "Europe", "EUR", 12),
    ("FR", "France", "Europe", "EUR", 9),
    ("NL", "Netherlands", "Europe", "EUR", 7),
    ("ES", "Spain", "Europe", "EUR", 5),
    ("IT", "Italy", "Europe", "EUR", 4),
    ("SE", "Sweden", "Europe", "SEK", 4),
    ("AU", "Australia", "Asia Pacific", "AUD", 4),
    ("JP", "Japan", "Asia Pacific", "JPY", 3),
    ("BR", "Brazil", "Latin America", "BRL", 2),
)
CATEGORIES = {
    "apparel": ("Organic Cotton Tee", "Merino Beanie", "Rain Jacket", "Linen Shirt", "Wool Socks", "Denim Cap"),
    "home": ("Ceramic Mug", "Oak Cutting Board", "Linen Napkins", "Glass Carafe", "Cast Iron Pan", "Tea Towel"),
    "outdoor": ("Trail Bottle", "Camping Lantern", "Daypack", "Hammock", "Folding Stool", "Bike Light"),
    "stationery": ("Dot Grid Notebook", "Brass Pen", "Desk Planner", "Washi Tape", "Sketchbook", "Pencil Set"),
    "beauty": ("Shea Hand Cream", "Lavender Soap", "Lip Balm", "Bamboo Brush", "Bath Salts", "Face Oil"),
    "kitchen": ("Spice Tin", "Pour-over Kettle", "Bread Knife", "Salad Bowl", "Apron", "Oven Mitt"),
}
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
DEPARTMENTS = ("Customer Care", "Customer Care", "Customer Care", "Logistics", "Finance", "Marketing")
TICKET_SUBJECTS = (
    ("Where is my order?", "Customer asked for tracking; shared the carrier link."),
    ("Wrong size delivered", "Exchange approved; return label sent to the customer."),
    ("Refund request", "Refund issued to the original payment method."),
    ("Damaged item", "Photo received, replacement shipped at no cost."),
    ("Change delivery address", "Customer called from {phone} to update the address before dispatch."),
    ("Payment declined", "Card was declined twice; suggested PayPal instead."),
    ("Discount code not working", "Code had expired; applied a goodwill voucher."),
    ("Account login problem", "Reset link sent; customer confirmed access from {email}."),
)


@dataclass(frozen=True)
class Customer:
    """One invented shop customer, as the shop database stores them."""

    customer_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    country_code: str


def _ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _hex(*, rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _email_local(*, first_name: str, last_name: str, number: int) -> str:
    plain = "".join(ch for ch in f"{first_name}.{last_name}".lower() if ch.isascii() and (ch.isalnum() or ch == "."))
    return f"{plain}{number}"


def _postal_code(*, rng: random.Random, country_code: str) -> str:
    if country_code == "GB":
        outward = f"{rng.choice('ENSW')}{rng.randint(1, 20)}"
        return f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
    if country_code == "CA":
        return f"K{rng.randint(0, 9)}{rng.choice('ABCEG')} {rng.randint(0, 9)}{rng.choice('HJKL')}{rng.randint(0, 9)}"
    if country_code == "NL":
        return f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGH')}{rng.choice('JKLMNPRS')}"
    # Leading zeros are kept on purpose: the seed config loads postal codes as varchar.
    return f"{rng.randint(0, 99999):05d}"


def _write(*, path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if value is None else value for value in row] for row in rows)


def countries_write() -> None:
    """The lookup seed: one row per country the shop ships to."""
    rows = [(code, name, region, currency) for code, name, region, currency, _ in COUNTRIES]
    _write(path=SEEDS / "lookups" / "countries.csv", header=("country_code", "country_name", "region", "currency_code"),
           rows=rows)


def customers_write(*, rng: random.Random, count: int) -> list[Customer]:
    """Invented customers with contact details, date of birth and the last four digits of an invented SSN."""
    weights = [weight for *_, weight in COUNTRIES]
    codes = [code for code, *_ in COUNTRIES]
    customers: list[Customer] = []
    rows = []
    for customer_id in range(1, count + 1):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country_code = rng.choices(codes, weights=weights)[0]
        email = f"{_email_local(first_name=first_name, last_name=last_name, number=customer_id)}@example.com"
        if customer_id == 37:
            email = "not-an-email"  # planted: the is_valid_email test warns on this row
        phone = f"+1-555-01{rng.randint(0, 99):02d}" if rng.random() < 0.85 else None
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 55))
        created = START + dt.timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1439))
        has_address = rng.random() < 0.93
        rows.append((
            customer_id, first_name, last_name, email, phone, birth.isoformat(),
            f"{rng.randint(1, 250)} {rng.choice(STREETS)} Street" if has_address else None,
            f"Apt {rng.randint(1, 40)}" if has_address and rng.random() < 0.3 else None,
            _postal_code(rng=rng, country_code=country_code) if has_address else None,
            country_code, f"{rng.randint(0, 9999):04d}",
            str(rng.random() < 0.45).lower(), str(rng.random() < 0.8).lower(),
            _ts(created), _ts(created + dt.timedelta(days=rng.randint(0, 90))),
        ))
        customers.append(Customer(customer_id, first_name, last_name, email, phone or "", country_code))
    _write(path=SEEDS / "shop" / "customers.csv", header=(
        "id", "first_name", "last_name", "email", "phone", "date_of_birth", "address_line1", "address_line2",
        "postal_code", "country_code", "ssn_last4", "marketing_opt_in", "email_verified", "created_at", "updated_at",
    ), rows=rows)
    return customers


def products_write(*, rng: random.Random) -> list[tuple[int, int, int]]:
    """The catalogue; returns (product_id, price_cents, cost_cents) for the order generator."""
    rows, prices = [], []
    product_id = 0
    for category, names in CATEGORIES.items():
        for name in names:
            product_id += 1
            price = rng.randint(4, 120) * 100 - rng.choice((1, 5, 50))
            cost = int(price * rng.uniform(0.35, 0.6))
            rows.append((product_id, f"{category[:3].upper()}-{product_id:04d}", name, category, price, cost,
                         str(product_id % 17 != 0).lower()))
            prices.append((product_id, price, cost))
    _write(path=SEEDS / "shop" / "products.csv",
           header=("id", "sku", "name", "category", "price_cents", "cost_cents", "is_active"), rows=rows)
    return prices


def orders_write(*, rng: random.Random, customers: list[Customer], products: list[tuple[int, int, int]],
                 count: int) -> None:
    """Orders, their items and the payments that settle them; completed orders are always fully paid."""
    orders, items, payments = [], [], []
    item_id = payment_id = 0
    for order_id in range(1, count + 1):
        customer = rng.choice(customers[: int(len(customers) * 0.9)])  # a tenth of customers never order
        ordered_at = START + dt.timedelta(days=rng.randint(5, 540), minutes=rng.randint(0, 1439))
        status = rng.choices(("completed", "shipped", "placed", "returned", "cancelled"), weights=(70, 10, 6, 8, 6))[0]
        billing_zip = f"{rng.randint(0, 99999):05d}"
        total = 0
        for product_id, price, _ in rng.sample(products, k=rng.choice((1, 1, 2, 2, 3, 4))):
            item_id += 1
            quantity = rng.choice((1, 1, 1, 2, 3))
            total += quantity * price
            items.append((item_id, order_id, product_id, quantity, price))
        orders.append((order_id, customer.customer_id, _ts(ordered_at), status, billing_zip, customer.country_code,
                       _ts(ordered_at + dt.timedelta(hours=rng.randint(1, 6)))))
        paid_at = ordered_at + dt.timedelta(minutes=rng.randint(1, 30))
        if status == "cancelled":
            payment_id += 1
            payments.append((payment_id, order_id, "credit_card", rng.choice(("visa", "mastercard")),
                             f"{rng.randint(0, 9999):04d}", total, "failed", _ts(paid_at)))
            continue
        if rng.random() < 0.07:  # a declined card before the successful attempt
            payment_id += 1
            payments.append((payment_id, order_id, "credit_card", "visa", f"{rng.randint(0, 9999):04d}", total,
                             "failed", _ts(paid_at)))
            paid_at += dt.timedelta(minutes=3)
        if rng.random() < 0.12 and total > 2000:  # part gift card, rest by card
            gift = rng.randint(5, 20) * 100
            payment_id += 1
            payments.append((payment_id, order_id, "gift_card", None, None, gift, "success", _ts(paid_at)))
            total -= gift
        method = rng.choices(("credit_card", "paypal", "bank_transfer"), weights=(70, 22, 8))[0]
        brand = rng.choice(("visa", "mastercard", "amex")) if method == "credit_card" else None
        last4 = f"{rng.randint(0, 9999):04d}" if method == "credit_card" else None
        payment_id += 1
        payments.append((payment_id, order_id, method, brand, last4, total, "success", _ts(paid_at)))
    _write(path=SEEDS / "shop" / "orders.csv", header=(
        "id", "customer_id", "ordered_at", "status", "billing_zip", "shipping_country_code", "_loaded_at",
    ), rows=orders)
    _write(path=SEEDS / "shop" / "order_items.csv",
           header=("id", "order_id", "product_id", "quantity", "unit_price_cents"), rows=items)
    _write(path=SEEDS / "shop" / "payments.csv", header=(
        "id", "order_id", "payment_method", "card_brand", "card_last4", "amount_cents", "status", "created_at",
    ), rows=payments)


def web_events_write(*, rng: random.Random, customers: list[Customer], sessions: int) -> None:
    """Click-stream events grouped in sessions; about a third of sessions are anonymous."""
    rows = []
    event_id = 0
    pages = ("/", "/shop", "/shop/apparel", "/shop/home", "/product/{p}", "/cart", "/checkout", "/account")
    for _ in range(sessions):
        session_id = _hex(rng=rng, length=16)
        device_id = f"dev_{_hex(rng=rng, length=12)}"
        customer_id = rng.choice(customers).customer_id if rng.random() < 0.66 else None
        ip_address = f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
        user_agent = rng.choice(USER_AGENTS)
        at = START + dt.timedelta(days=rng.randint(0, 545), minutes=rng.randint(0, 1439))
        for step in range(rng.randint(1, 7)):
            event_id += 1
            event_type = "page_view" if step == 0 else rng.choices(
                ("page_view", "add_to_cart", "checkout", "purchase", "search"), weights=(55, 15, 8, 6, 16))[0]
            page = rng.choice(pages).format(p=rng.randint(1, 36))
            ip_rule_id = rng.choice((101, 102, 205, 310)) if rng.random() < 0.2 else None
            rows.append((event_id, session_id, device_id, customer_id, event_type, page, ip_address, user_agent,
                         ip_rule_id, _ts(at)))
            at += dt.timedelta(seconds=rng.randint(5, 400))
    _write(path=SEEDS / "web" / "web_events.csv", header=(
        "event_id", "session_id", "device_id", "customer_id", "event_type", "page_url", "ip_address", "user_agent",
        "ip_rule_id", "occurred_at",
    ), rows=rows)


def employees_write(*, rng: random.Random, count: int) -> None:
    """Staff of the shop (support agents among them); only the HR source declares this table."""
    rows = []
    for employee_id in range(1, count + 1):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = _email_local(first_name=first_name, last_name=last_name, number=employee_id)
        hired = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
        rows.append((employee_id, f"{first_name} {last_name}", f"{local}@staff.example.com",
                     f"{rng.randint(0, 99999):05d}", DEPARTMENTS[employee_id % len(DEPARTMENTS)], hired.isoformat()))
    _write(path=SEEDS / "hr" / "employees.csv",
           header=("employee_id", "full_name", "work_email", "home_postal_code", "department", "hired_at"), rows=rows)


def support_tickets_write(*, rng: random.Random, customers: list[Customer], count: int) -> None:
    """Help-desk tickets; the agent's free-text notes sometimes quote a phone number or email."""
    rows = []
    for ticket_id in range(1, count + 1):
        customer = rng.choice(customers)
        customer_id = 9999 if ticket_id == 42 else customer.customer_id  # planted orphan: relationships test warns
        subject, note = rng.choice(TICKET_SUBJECTS)
        opened = START + dt.timedelta(days=rng.randint(10, 540), minutes=rng.randint(0, 1439))
        status = rng.choices(("solved", "open", "pending"), weights=(80, 12, 8))[0]
        closed = _ts(opened + dt.timedelta(hours=rng.randint(1, 96))) if status == "solved" else None
        score = rng.randint(1, 5) if status == "solved" and rng.random() < 0.7 else None
        rows.append((ticket_id, customer_id, customer.email, _ts(opened), closed,
                     rng.choice(("email", "chat", "phone")), subject,
                     note.format(phone=customer.phone or "+1-555-0100", email=customer.email),
                     rng.randint(1, 6), status, score))
    _write(path=SEEDS / "support" / "support_tickets.csv", header=(
        "ticket_id", "customer_id", "cust_email", "opened_at", "closed_at", "channel", "subject", "notes", "agent_id",
        "status", "satisfaction_score",
    ), rows=rows)


def seeds_generate() -> None:
    """Write every seed CSV. The order of calls is part of the output: one random stream feeds them all."""
    rng = random.Random(RANDOM_SEED)
    countries_write()
    customers = customers_write(rng=rng, count=120)
    products = products_write(rng=rng)
    orders_write(rng=rng, customers=customers, products=products, count=400)
    web_events_write(rng=rng, customers=customers, sessions=380)
    employees_write(rng=rng, count=15)
    support_tickets_write(rng=rng, customers=customers, count=80)


if __name__ == "__main__":
    seeds_generate()
