// paintseg ui: prompt objects, decompose, rearrange layers, export. The server renders every
// composition, so the canvas shows exactly what `paintseg compose` writes for the same edits.
import { getJSON, loadImage, postBlob, postJSON, upload } from "./api.js";
import { View } from "./view.js";

const $ = (id) => document.getElementById(id);
const state = {
  info: null, mode: "none", tool: "box",
  image: null, imageEl: null, size: [0, 0],
  objects: [], active: -1, nextObject: 1,
  decomposition: null, edits: [], redo: [], hidden: new Set(), arrangement: null,
  sprites: {}, idmap: null, selectedLayer: null, composition: null, outlines: null, busy: false,
};
window.paintsegUI = state;  // for tests and the console

const base = $("base"), overlay = $("overlay"), promptsCanvas = $("prompts");
const view = new View($("viewport"), $("stage"), [base, overlay, promptsCanvas]);
view.onchange = () => { $("zoom-label").textContent = `${Math.round(view.zoom * 100)}%`; };

// -- messages ------------------------------------------------------------------------------------
function showMessage(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
}
function clearMessage() { $("message").hidden = true; }
function status(text) { $("status").textContent = text; }
async function guard(fn) {
  try { clearMessage(); await fn(); } catch (err) { showMessage(err.message || String(err)); }
}

// -- settings ------------------------------------------------------------------------------------
function settings() {
  const out = {
    painter: $("painter").value, projector: $("projector").value,
    samples: Number($("samples").value), seed: Number($("seed").value), working_size: Number($("working-size").value),
  };
  for (const k of ["samples", "seed", "working_size"]) {
    if (!Number.isInteger(out[k])) throw new Error(`setting \`${k}\` must be a whole number, got ${JSON.stringify(out[k])}`);
  }
  return out;
}

function fillBackends(backends) {
  for (const [kind, id] of [["painters", "painter"], ["projectors", "projector"]]) {
    const sel = $(id);
    sel.innerHTML = "";
    for (const b of backends[kind]) {
      const opt = new Option(b.installed ? b.name : `${b.name} (unavailable)`, b.name);
      opt.disabled = !b.installed;
      opt.title = b.installed ? b.summary : b.reason;
      sel.add(opt);
    }
  }
  const missing = [...backends.painters, ...backends.projectors].filter((b) => !b.installed);
  $("backend-notes").innerHTML = missing.map((b) => `<li>${b.name} unavailable: ${b.reason}</li>`).join("");
  $("painter").value = "telea";
  $("projector").value = "lab";
}

async function refreshLists() {
  const [images, decs] = await Promise.all([getJSON("/api/images"), getJSON("/api/decompositions")]);
  const fill = (sel, names) => {
    const keep = sel.value;
    sel.innerHTML = "";
    for (const n of names) sel.add(new Option(n, n));
    if (names.includes(keep)) sel.value = keep;
  };
  fill($("image-select"), images.images);
  fill($("decomposition-select"), decs.decompositions);
  fill($("insert-source"), decs.decompositions);
  await fillInsertLayers();
}

async function fillInsertLayers() {
  const name = $("insert-source").value;
  const sel = $("insert-layer");
  sel.innerHTML = "";
  if (!name) return;
  const d = await getJSON(`/api/decompositions/${encodeURIComponent(name)}`);
  for (const [i, id] of d.order.entries()) {
    const opt = new Option(id, id);
    opt.dataset.x = d.boxes[i][0];
    opt.dataset.y = d.boxes[i][1];
    sel.add(opt);
  }
}

// -- opening -------------------------------------------------------------------------------------
async function openImage(name) {
  const img = await loadImage(`/api/files/images/${encodeURIComponent(name)}?t=${Date.now()}`);
  Object.assign(state, {
    mode: "prompt", image: name, imageEl: img, size: [img.naturalWidth, img.naturalHeight],
    objects: [], active: -1, nextObject: 1, decomposition: null, edits: [], redo: [], arrangement: null,
  });
  view.setSize(img.naturalWidth, img.naturalHeight);
  view.fit();
  $("image-select").value = name;
  setTool("box");
  renderObjects();
  drawAll();
  status(`image ${name} (${img.naturalWidth} x ${img.naturalHeight})`);
}

async function openDecomposition(name) {
  const d = await getJSON(`/api/decompositions/${encodeURIComponent(name)}`);
  Object.assign(state, {
    mode: "edit", decomposition: name, edits: d.edits, redo: [], hidden: new Set(), size: d.size,
    selectedLayer: null,
  });
  view.setSize(d.size[0], d.size[1]);
  await render();
  view.fit();
  $("decomposition-select").value = name;
  setTool("move");
  status(`layers ${name} (${d.size[0]} x ${d.size[1]})`);
}

// -- prompting -----------------------------------------------------------------------------------
function colourFor(k) { const p = state.info.palette; return p[k % p.length]; }

function newObject() {
  const obj = { id: state.nextObject++, prompt: null, mask: null };
  obj.color = colourFor(obj.id - 1);
  state.objects.push(obj);
  state.active = state.objects.length - 1;
  return obj;
}

function activeObject(kind) {
  // the selected object if it has no prompt yet or one of this kind (points, scribble); else a new one
  const obj = state.objects[state.active];
  if (obj && (!obj.prompt || (kind !== "box" && obj.prompt.kind === kind))) return obj;
  return newObject();
}

function describePrompt(p) {
  if (!p) return "no prompt yet";
  if (p.kind === "box") return `box ${p.box.map(Math.round).join(" ")}`;
  if (p.kind === "points") return `${p.positive.length} + / ${p.negative.length} - points`;
  return `${p.strokes.length} stroke(s)`;
}

function renderObjects() {
  const list = $("objects");
  list.innerHTML = "";
  state.objects.forEach((obj, k) => {
    const li = document.createElement("li");
    li.className = "object" + (k === state.active ? " selected" : "");
    li.dataset.id = obj.id;
    li.innerHTML = `<span class="swatch" style="background:${obj.color}"></span>
      <span class="info">object ${obj.id}: ${describePrompt(obj.prompt)}${obj.mask ? " ✓" : ""}</span>`;
    const seg = document.createElement("button");
    seg.textContent = "segment"; seg.className = "segment";
    seg.onclick = (e) => { e.stopPropagation(); guard(() => segmentObject(obj)); };
    const again = document.createElement("button");
    again.textContent = "re-prompt"; again.className = "reprompt";
    again.onclick = (e) => { e.stopPropagation(); obj.prompt = null; obj.mask = null; state.active = k; renderObjects(); drawAll(); };
    const del = document.createElement("button");
    del.textContent = "delete"; del.className = "delete";
    del.onclick = (e) => { e.stopPropagation(); state.objects.splice(k, 1); state.active = state.objects.length - 1; renderObjects(); drawAll(); };
    li.append(seg, again, del);
    li.onclick = () => { state.active = k; renderObjects(); };
    list.append(li);
  });
}

async function segmentObject(obj) {
  if (!obj || !obj.prompt) throw new Error("select an object with a prompt first (draw a box, click points or brush)");
  status(`segmenting object ${obj.id}...`);
  const r = await postJSON("/api/segment", { image: state.image, prompt: obj.prompt, settings: settings(), color: obj.color });
  obj.mask = await loadImage(r.mask);
  obj.maskBox = r.box;
  renderObjects();
  drawAll();
  status(`object ${obj.id}: ${r.area} px`);
}

// -- decomposing ---------------------------------------------------------------------------------
async function runDecompose() {
  if (state.mode !== "prompt") throw new Error("open an image first");
  const prompts = state.objects.filter((o) => o.prompt).map((o) => o.prompt);
  const discover = $("discover").checked;
  if (!prompts.length && !discover) throw new Error("prompt at least one object (or tick 'also discover the rest')");
  const { job } = await postJSON("/api/decompose", { image: state.image, prompts, settings: settings(), discover });
  const bar = $("progress");
  bar.hidden = false;
  $("decompose").disabled = true;
  try {
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 150));
      const j = await getJSON(`/api/jobs/${job}`);
      bar.value = j.progress;
      $("progress-text").textContent = `${Math.round(j.progress * 100)}% ${j.message}`;
      if (j.state === "failed") throw new Error(`decomposition failed: ${j.error}`);
      if (j.state === "done") {
        await refreshLists();
        await openDecomposition(j.result.decomposition);
        return;
      }
    }
  } finally {
    $("decompose").disabled = false;
  }
}

// -- editing -------------------------------------------------------------------------------------
async function render() {
  document.body.dataset.busy = "1";  // tests and styles wait for the server's picture
  try { await renderNow(); } finally { delete document.body.dataset.busy; }
}

async function renderNow() {
  const a = await postJSON("/api/compose", { decomposition: state.decomposition, edits: state.edits, hidden: [...state.hidden] });
  const [composition, outlines, idmap] = await Promise.all([loadImage(a.composition), loadImage(a.outlines), loadImage(a.idmap)]);
  const sprites = {};
  await Promise.all(a.layers.map(async (l) => { sprites[l.id] = await loadImage(l.sprite); }));
  const c = document.createElement("canvas");
  c.width = a.size[0]; c.height = a.size[1];
  const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(idmap, 0, 0);
  Object.assign(state, { arrangement: a, composition, outlines, sprites, idmap: ctx.getImageData(0, 0, c.width, c.height) });
  $("plate").src = a.plate;
  $("graph").src = a.graph;
  $("graph-edges").innerHTML = a.edges.map(([u, v, c]) => `<li>${u} occludes ${v} (confidence ${c})</li>`).join("");
  renderLayers();
  renderEdits();
  drawAll();
}

async function pushEdit(edit) {
  state.edits.push(edit);
  try {
    await render();
    state.redo = [];
  } catch (err) {
    state.edits.pop();
    await render().catch(() => {});
    throw err;
  }
}

function renderEdits() {
  $("edits").innerHTML = state.edits.map((e) => `<li>${JSON.stringify(e)}</li>`).join("");
  $("undo").disabled = !state.edits.length;
  $("redo").disabled = !state.redo.length;
}

function renderLayers() {
  const list = $("layers");
  list.innerHTML = "";
  for (const l of state.arrangement.layers) {
    const li = document.createElement("li");
    li.className = "layer" + (l.id === state.selectedLayer ? " selected" : "");
    li.dataset.id = l.id;
    li.draggable = true;
    li.innerHTML = `<span class="swatch" style="background:${l.color}"></span><img src="${l.sprite}" alt="${l.id}">
      <span class="info"><b class="layer-id">${l.id}</b><br>visible ${Math.round(l.visible_share * 100)}% /
      hidden ${Math.round(l.hidden_share * 100)}%</span>`;
    const vis = document.createElement("input");
    vis.type = "checkbox"; vis.className = "visibility"; vis.checked = !state.hidden.has(l.id); vis.title = "show";
    vis.onchange = () => guard(async () => { vis.checked ? state.hidden.delete(l.id) : state.hidden.add(l.id); await render(); });
    li.append(vis);
    const buttons = [["▲", "raise", { op: "raise", layer: l.id, steps: 1 }], ["▼", "lower", { op: "lower", layer: l.id, steps: 1 }],
      ["⇆", "flip", { op: "flip", layer: l.id, axis: "horizontal" }], ["+", "scale-up", { op: "scale", layer: l.id, factor: 1.25 }],
      ["−", "scale-down", { op: "scale", layer: l.id, factor: 0.8 }], ["✕", "remove", { op: "remove", layer: l.id }]];
    for (const [label, cls, edit] of buttons) {
      const b = document.createElement("button");
      b.textContent = label; b.className = cls; b.title = cls;
      b.onclick = (e) => { e.stopPropagation(); guard(() => pushEdit(edit)); };
      li.append(b);
    }
    li.onclick = () => { state.selectedLayer = l.id; renderLayers(); };
    li.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/plain", l.id); });
    li.addEventListener("dragover", (e) => { e.preventDefault(); li.classList.add("dragover"); });
    li.addEventListener("dragleave", () => li.classList.remove("dragover"));
    li.addEventListener("drop", (e) => {
      e.preventDefault();
      li.classList.remove("dragover");
      const moved = e.dataTransfer.getData("text/plain");
      const order = state.arrangement.order;
      const from = order.indexOf(moved), to = order.indexOf(l.id);
      if (from < 0 || from === to) return;
      const edit = to < from ? { op: "raise", layer: moved, steps: from - to } : { op: "lower", layer: moved, steps: to - from };
      guard(() => pushEdit(edit));
    });
    list.append(li);
  }
}

function layerAt(x, y) {
  const m = state.idmap;
  if (!m || x < 0 || y < 0 || x >= m.width || y >= m.height) return null;
  const k = m.data[(Math.floor(y) * m.width + Math.floor(x)) * 4];
  return k ? state.arrangement.layers[k - 1] : null;
}

// -- drawing -------------------------------------------------------------------------------------
function drawAll(drag = null) {
  const [w, h] = [base.width, base.height];
  const b = base.getContext("2d"), o = overlay.getContext("2d"), p = promptsCanvas.getContext("2d");
  for (const ctx of [b, o, p]) ctx.clearRect(0, 0, w, h);
  if (state.mode === "prompt" && state.imageEl) {
    b.drawImage(state.imageEl, 0, 0);
    for (const obj of state.objects) if (obj.mask) o.drawImage(obj.mask, 0, 0);
    state.objects.forEach((obj, k) => drawPrompt(p, obj, k === state.active));
  } else if (state.mode === "edit" && state.composition) {
    b.drawImage(state.composition, 0, 0);
    if ($("show-outlines").checked && !drag) o.drawImage(state.outlines, 0, 0);
    if (drag) {  // preview only; the drop commits a translate edit and the server re-renders
      const l = drag.layer;
      p.globalAlpha = 0.85;
      p.drawImage(state.sprites[l.id], l.box[0] + drag.dx, l.box[1] + drag.dy);
      p.globalAlpha = 1;
      p.strokeStyle = l.color; p.setLineDash([4, 3]);
      p.strokeRect(l.box[0] + drag.dx, l.box[1] + drag.dy, l.box[2] - l.box[0], l.box[3] - l.box[1]);
      p.setLineDash([]);
    }
  }
  if (state.draft) drawPrompt(p, state.draft, true);
}

function drawPrompt(ctx, obj, active) {
  const pr = obj.prompt;
  if (!pr) return;
  ctx.lineWidth = active ? 2 : 1.5;
  ctx.strokeStyle = obj.color;
  if (pr.kind === "box") ctx.strokeRect(pr.box[0], pr.box[1], pr.box[2] - pr.box[0], pr.box[3] - pr.box[1]);
  if (pr.kind === "points") {
    for (const [pts, fill] of [[pr.positive, obj.color], [pr.negative, "#000"]]) {
      for (const [x, y] of pts) {
        ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fillStyle = fill; ctx.fill();
        ctx.strokeStyle = "#fff"; ctx.stroke();
      }
    }
  }
  if (pr.kind === "scribble") {
    for (const s of pr.strokes) {
      ctx.strokeStyle = s.negative ? "#000" : obj.color; ctx.lineWidth = 2 * s.radius; ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
      ctx.stroke();
    }
  }
}

// -- pointer -------------------------------------------------------------------------------------
function setTool(tool) {
  state.tool = tool;
  for (const b of document.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === tool);
}

const clampX = (x) => Math.min(Math.max(x, 0), state.size[0]);
const clampY = (y) => Math.min(Math.max(y, 0), state.size[1]);
let gesture = null;

function onDown(e) {
  if (e.button === 1 || state.tool === "pan") {
    gesture = { kind: "pan", sx: e.clientX, sy: e.clientY };
    return;
  }
  if (e.button !== 0) return;
  const [x, y] = view.toImage(e);
  if (state.mode === "prompt") {
    if (state.tool === "box") gesture = { kind: "box", x0: clampX(x), y0: clampY(y) };
    else if (state.tool === "points") {
      const obj = activeObject("points");
      if (!obj.prompt) obj.prompt = { kind: "points", positive: [], negative: [] };
      (e.shiftKey ? obj.prompt.negative : obj.prompt.positive).push([Math.round(clampX(x) * 10) / 10, Math.round(clampY(y) * 10) / 10]);
      obj.mask = null;
      renderObjects(); drawAll();
    } else if (state.tool === "scribble") {
      const obj = activeObject("scribble");
      if (!obj.prompt) obj.prompt = { kind: "scribble", strokes: [] };
      const stroke = { points: [[Math.round(x), Math.round(y)]], radius: 4, negative: e.shiftKey };
      obj.prompt.strokes.push(stroke);
      obj.mask = null;
      gesture = { kind: "scribble", stroke };
      renderObjects(); drawAll();
    }
  } else if (state.mode === "edit" && state.tool === "move") {
    const layer = layerAt(x, y);
    if (layer) {
      state.selectedLayer = layer.id;
      renderLayers();
      gesture = { kind: "move", layer, x0: x, y0: y, dx: 0, dy: 0 };
    }
  }
}

function onMove(e) {
  if (!gesture) return;
  if (gesture.kind === "pan") {
    view.panBy(e.clientX - gesture.sx, e.clientY - gesture.sy);
    gesture.sx = e.clientX; gesture.sy = e.clientY;
    return;
  }
  const [x, y] = view.toImage(e);
  if (gesture.kind === "box") {
    state.draft = { color: colourFor(state.nextObject - 1), prompt: { kind: "box", box: [gesture.x0, gesture.y0, clampX(x), clampY(y)] } };
    drawAll();
  } else if (gesture.kind === "scribble") {
    gesture.stroke.points.push([Math.round(x), Math.round(y)]);
    drawAll();
  } else if (gesture.kind === "move") {
    gesture.dx = Math.round(x - gesture.x0);
    gesture.dy = Math.round(y - gesture.y0);
    drawAll(gesture);
  }
}

function onUp(e) {
  const g = gesture;
  gesture = null;
  if (!g) return;
  if (g.kind === "box") {
    state.draft = null;
    const [x, y] = view.toImage(e);
    const box = [Math.min(g.x0, clampX(x)), Math.min(g.y0, clampY(y)), Math.max(g.x0, clampX(x)), Math.max(g.y0, clampY(y))].map(Math.round);
    if (box[2] - box[0] < 3 || box[3] - box[1] < 3) { drawAll(); return; }
    const obj = activeObject("box");
    obj.prompt = { kind: "box", box };
    obj.mask = null;
    renderObjects(); drawAll();
  } else if (g.kind === "move") {
    if (g.dx || g.dy) guard(() => pushEdit({ op: "translate", layer: g.layer.id, dx: g.dx, dy: g.dy }));
    else drawAll();
  } else drawAll();
}

// -- export --------------------------------------------------------------------------------------
async function exportAs(format) {
  if (!state.decomposition) throw new Error("decompose or open a layer folder first");
  const blob = await postBlob("/api/export", { decomposition: state.decomposition, edits: state.edits, format });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${state.decomposition}.${format === "json" ? "edits.json" : format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// -- wiring --------------------------------------------------------------------------------------
function wire() {
  const vp = $("viewport");
  vp.addEventListener("mousedown", (e) => { e.preventDefault(); onDown(e); });
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  vp.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = vp.getBoundingClientRect();
    view.zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  for (const b of document.querySelectorAll("[data-tool]")) b.onclick = () => setTool(b.dataset.tool);
  $("zoom-in").onclick = () => view.zoomCentre(1.25);
  $("zoom-out").onclick = () => view.zoomCentre(0.8);
  $("zoom-fit").onclick = () => view.fit();
  $("zoom-100").onclick = () => view.actualSize();
  $("open-image").onclick = () => guard(() => openImage($("image-select").value));
  $("open-decomposition").onclick = () => guard(() => openDecomposition($("decomposition-select").value));
  $("upload").onchange = () => guard(async () => {
    const file = $("upload").files[0];
    $("upload").value = "";
    if (!file) return;
    const r = await upload(file);
    await refreshLists();
    await openImage(r.name);
  });
  $("new-object").onclick = () => { newObject(); renderObjects(); };
  $("segment").onclick = () => guard(() => segmentObject(state.objects[state.active]));
  $("decompose").onclick = () => guard(runDecompose);
  $("undo").onclick = () => guard(async () => { if (state.edits.length) { state.redo.push(state.edits.pop()); await render(); } });
  $("redo").onclick = () => guard(async () => { if (state.redo.length) { state.edits.push(state.redo.pop()); await render(); } });
  $("show-outlines").onchange = () => drawAll();
  $("insert-source").onchange = () => guard(fillInsertLayers);
  $("insert").onclick = () => guard(async () => {
    if (state.mode !== "edit") throw new Error("open a decomposition to insert into first");
    const opt = $("insert-layer").selectedOptions[0];
    if (!opt) throw new Error("choose a decomposition and one of its layers to insert");
    await pushEdit({ op: "insert", source: $("insert-source").value, layer: opt.value, x: Number(opt.dataset.x), y: Number(opt.dataset.y) });
  });
  for (const f of ["png", "ora", "psd", "zip", "json"]) $(`export-${f}`).onclick = () => guard(() => exportAs(f));
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "z") { e.preventDefault(); (e.shiftKey ? $("redo") : $("undo")).click(); }
  });
}

async function start() {
  wire();
  await guard(async () => {
    state.info = await getJSON("/api/info");
    fillBackends(state.info.backends);
    await refreshLists();
    const q = new URLSearchParams(location.search);
    if (q.get("decomposition")) await openDecomposition(q.get("decomposition"));
    else if (q.get("image")) await openImage(q.get("image"));
    else if ($("image-select").value) await openImage($("image-select").value);
  });
  document.body.dataset.ready = "1";
}

start();
