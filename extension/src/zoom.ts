/** Zooming and panning the editor's image to a box of image pixels (a finding's location), through the image tag's own zoom actions. */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The share of the visible canvas the box is zoomed to fill. */
const FILL = 0.4;
const MAX_ZOOM = 16;
const MAX_STEPS = 40;

/** The image tag of an annotation that can zoom: the one named `toName`, else the first. */
export function zoomableObject(annotation: Any, toName?: string | null): Any | null {
  const objs: Any[] = Array.isArray(annotation?.objects) ? annotation.objects : [];
  const ok = (o: Any) => typeof o?.handleZoom === 'function' && typeof o?.setZoomPosition === 'function' && o?.stageRef && o.naturalWidth > 1;
  return objs.find((o) => ok(o) && (!toName || o.name === toName)) ?? objs.find(ok) ?? null;
}

/**
 * Zooms the image so the box [x0, y0, x1, y1] (inclusive image pixels) fills about 40% of the canvas, and pans it
 * to the middle. Image pixels map to the stage by `stageWidth / naturalWidth`, and the stage to the canvas by the
 * Konva stage's transform (the zoom scale and position) in both editor builds. Returns false when it cannot.
 */
export function zoomToBox(obj: Any, box: [number, number, number, number]): boolean {
  const stage = obj?.stageRef;
  if (!stage || typeof stage.getAbsoluteTransform !== 'function') return false;
  const viewW = Number(stage.width());
  const viewH = Number(stage.height());
  if (!(viewW > 0 && viewH > 0)) return false;
  const [x0, y0, x1, y1] = box;
  const screen = () => {
    const m = stage.getAbsoluteTransform().m as number[];
    const kx = obj.stageWidth / obj.naturalWidth;
    const ky = obj.stageHeight / obj.naturalHeight;
    return {
      cx: m[4] + m[0] * ((x0 + x1 + 1) / 2) * kx,
      cy: m[5] + m[3] * ((y0 + y1 + 1) / 2) * ky,
      w: m[0] * (x1 - x0 + 1) * kx,
      h: m[3] * (y1 - y0 + 1) * ky,
    };
  };
  const fits = (b: ReturnType<typeof screen>) => b.w <= viewW * FILL && b.h <= viewH * FILL;
  // Zooming about the box's own point keeps it where it is on the canvas; the pan comes after.
  for (let i = 0; i < MAX_STEPS; i++) {
    const b = screen();
    if (!fits(b) || Number(obj.zoomScale) >= MAX_ZOOM) break;
    const before = Number(obj.zoomScale);
    obj.handleZoom(1, { x: b.cx, y: b.cy });
    if (!fits(screen())) {
      obj.handleZoom(-1, { x: b.cx, y: b.cy });
      break;
    }
    if (Number(obj.zoomScale) === before) break;
  }
  const b = screen();
  obj.setZoomPosition(Number(obj.zoomingPositionX ?? 0) + viewW / 2 - b.cx, Number(obj.zoomingPositionY ?? 0) + viewH / 2 - b.cy);
  if (typeof obj.updateImageAfterZoom === 'function') obj.updateImageAfterZoom();
  return true;
}
