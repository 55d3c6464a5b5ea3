// Price an order: unit prices, and shipping unless the order is large enough.
const PRICES = { "MUG-CLASSIC": 12.5, "TSHIRT-M-BLK": 19.5 };

exports.handler = async (event) => {
  const total = (PRICES[event.sku] || 0) * event.qty;
  const shipping = total >= Number(event.freeShippingOver) ? 0 : 4.9;
  console.log(`priced ${event.qty} x ${event.sku}: ${total}`);
  return { total, shipping };
};
