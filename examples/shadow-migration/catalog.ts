// The data both versions serve: a small product catalog.
export interface Product {
  id: number;
  name: string;
  /** Cents, so both versions compute prices the same way. */
  cents: number;
  tags: string[];
}

export const products: Product[] = [
  { id: 1, name: 'Analytical Engine', cents: 125_000, tags: ['engines', 'steam'] },
  { id: 2, name: 'Difference Engine', cents: 98_050, tags: ['engines'] },
  { id: 3, name: 'Jacquard Loom', cents: 4_200, tags: ['looms'] },
];

export function findProduct(id: string): Product | undefined {
  return products.find((p) => String(p.id) === id);
}
