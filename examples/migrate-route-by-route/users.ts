// The data both versions serve. In a real app this is the database layer, shared by old and new code.
export interface User {
  id: number;
  name: string;
  team: string;
}

export const users: readonly User[] = [
  { id: 1, name: 'Ada Lovelace', team: 'engines' },
  { id: 2, name: 'Grace Hopper', team: 'compilers' },
  { id: 3, name: 'Alan Turing', team: 'engines' },
];

/** `?team=` filters by team; no filter lists everyone. */
export function listUsers(team: string | null): User[] {
  return team ? users.filter((u) => u.team === team) : [...users];
}
