// Calls to the paintseg ui server. Every failure becomes an Error whose message is the server's one line.

async function check(response) {
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) message = body.error;
  } catch (err) { /* not JSON: keep the status line */ }
  throw new Error(message);
}

export async function getJSON(url) {
  return (await check(await fetch(url))).json();
}

export async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  return (await check(response)).json();
}

export async function postBlob(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  return (await check(response)).blob();
}

export async function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return (await check(await fetch("/api/images", { method: "POST", body: form }))).json();
}

export function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load image ${String(src).slice(0, 60)}`));
    img.src = src;
  });
}
