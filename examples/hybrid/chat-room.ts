// State shared by both worlds: the Express routes and the native WebSocket/SSE endpoints use one room.

export interface ChatMessage {
  id: number;
  from: string;
  text: string;
  at: string;
}

/** What subscribers hear: a new message, or a change in how many people are connected. */
export type RoomEvent = { type: 'message'; message: ChatMessage } | { type: 'presence'; online: number };

type Listener = (event: RoomEvent) => void;

const HISTORY_SIZE = 50;
const MAX_TEXT = 500;

export class ChatRoom {
  readonly #history: ChatMessage[] = [];
  readonly #listeners = new Set<Listener>();
  #nextId = 1;

  /** Adds a message (trimmed, capped) and tells every subscriber; returns it. */
  post(from: string, text: string): ChatMessage {
    const message: ChatMessage = { id: this.#nextId++, from, text: text.trim().slice(0, MAX_TEXT), at: new Date().toISOString() };
    this.#history.push(message);
    if (this.#history.length > HISTORY_SIZE) this.#history.shift();
    this.#emit({ type: 'message', message });
    return message;
  }

  /** The most recent messages, oldest first. */
  history(): readonly ChatMessage[] {
    return this.#history;
  }

  /** How many subscribers (open chat sockets) there are. */
  get online(): number {
    return this.#listeners.size;
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    this.#emit({ type: 'presence', online: this.online });
    return () => {
      if (this.#listeners.delete(listener)) this.#emit({ type: 'presence', online: this.online });
    };
  }

  #emit(event: RoomEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
