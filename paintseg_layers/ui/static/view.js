// The canvas stack: zoom and pan of #stage, and the conversion from mouse events to image pixels.

export class View {
  constructor(viewport, stage, canvases) {
    this.viewport = viewport;
    this.stage = stage;
    this.canvases = canvases;
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.onchange = () => {};
  }

  setSize(w, h) {
    for (const c of this.canvases) { c.width = w; c.height = h; }
    this.stage.style.width = `${w}px`;
    this.stage.style.height = `${h}px`;
  }

  apply() {
    this.stage.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.zoom})`;
    this.onchange();
  }

  fit() {
    const w = this.canvases[0].width, h = this.canvases[0].height;
    const vw = this.viewport.clientWidth, vh = this.viewport.clientHeight;
    if (!w || !h) return;
    this.zoom = Math.min(vw / w, vh / h) * 0.95;
    this.x = (vw - w * this.zoom) / 2;
    this.y = (vh - h * this.zoom) / 2;
    this.apply();
  }

  actualSize() {
    this.zoom = 1;
    this.x = 10;
    this.y = 10;
    this.apply();
  }

  zoomAt(factor, cx, cy) {
    const z = Math.min(32, Math.max(0.05, this.zoom * factor));
    const k = z / this.zoom;
    this.x = cx - (cx - this.x) * k;
    this.y = cy - (cy - this.y) * k;
    this.zoom = z;
    this.apply();
  }

  zoomCentre(factor) {
    this.zoomAt(factor, this.viewport.clientWidth / 2, this.viewport.clientHeight / 2);
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply();
  }

  // Image pixel coordinates (x right, y down, origin at the top-left corner) of a mouse event.
  toImage(event) {
    const r = this.canvases[0].getBoundingClientRect();
    return [(event.clientX - r.left) / r.width * this.canvases[0].width,
            (event.clientY - r.top) / r.height * this.canvases[0].height];
  }
}
