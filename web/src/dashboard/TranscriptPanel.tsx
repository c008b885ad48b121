// Live transcription (`transcription:live`): the latest lines, newest first.
import { For } from "solid-js";

export interface Transcript {
  id: string;
  text: string;
  timestamp: string;
}

export function TranscriptPanel(props: { lines: Transcript[] }) {
  return (
    <section class="panel area-transcript" data-testid="transcript-panel" aria-label="Transcription">
      <header>
        <h2>Transcription</h2>
        <span class="muted">live from phononmaser</span>
      </header>
      <ol class="list" data-testid="transcript-list">
        <For each={props.lines} fallback={<li class="muted">Nothing heard yet</li>}>
          {(l) => (
            <li data-testid="transcript-line">
              <time class="muted">{new Date(l.timestamp).toLocaleTimeString()}</time> {l.text}
            </li>
          )}
        </For>
      </ol>
    </section>
  );
}
