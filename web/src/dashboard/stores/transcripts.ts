// `transcription:live`: the last 20 caption lines, newest first, each once.
import { createSignal } from "solid-js";
import type { Link } from "../../lib/landale";
import type { Transcript } from "../TranscriptPanel";

export function createTranscriptStore(link: Link) {
  const [lines, setLines] = createSignal<Transcript[]>([]);
  link.join("transcription:live", {
    new_transcription: (t) => {
      if (typeof t?.text !== "string" || typeof t?.id !== "string") return;
      setLines((ls) => (ls.some((l) => l.id === t.id) ? ls : [{ id: t.id, text: t.text, timestamp: t.timestamp }, ...ls].slice(0, 20)));
    },
  });
  return { lines };
}
