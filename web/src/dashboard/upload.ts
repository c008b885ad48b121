// Media uploads from the dashboard (alert images and sounds, the channel's logo).
import { savedToken } from "../lib/landale";

/** Upload a file to the hub; resolves with its stored name. */
export async function upload(file: File): Promise<string> {
  const token = savedToken();
  const r = await fetch("/api/media", {
    method: "POST",
    body: file,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await r.json().catch(() => null);
  if (!r.ok || !body?.success) throw new Error(body?.error?.message ?? `upload failed (HTTP ${r.status})`);
  return body.data.name as string;
}

