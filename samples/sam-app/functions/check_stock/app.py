"""Check stock: how many of a SKU are left (a fixed table here)."""
import os

STOCK = {"MUG-CLASSIC": 12, "TSHIRT-M-BLK": 2}


def handler(event, context):
    available = STOCK.get(event["sku"], 0)
    print(f"[{os.environ.get('STAGE', '?')}] {event['sku']}: {available} left")
    return {
        "inStock": available >= event["qty"],
        "available": available,
        "stage": os.environ.get("STAGE"),
    }
