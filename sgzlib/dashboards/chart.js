// The dashboards' chart (sgzlib/dashboards/chart.py): a plotly figure drawn in a div of its own and
// redrawn in place with Plotly.react when the kernel sends a new figure, instead of a new output area
// and a new plot for every filter change.
//
// plotly.js (the cartesian bundle: bar, scatter, heatmap, box, pie, ...) and its zh-CN locale come
// from the sgz Voila template's static folder. Dashboard pages load both with <script> tags in the
// head (index.html.j2), while the widget scripts load; anywhere else (a notebook opened in
// JupyterLab) the first chart adds the same tags itself.
const FILES = ["plotly-locale-zh-cn.js", "plotly-cartesian-4.1.1.min.js"];
const PREFIX = "voila/templates/sgz/static/";

function baseUrl() {
  const config = document.getElementById("jupyter-config-data");
  try {
    return (config && JSON.parse(config.textContent).baseUrl) || "/";
  } catch (error) {
    return "/";
  }
}

function loaded(script) {
  const failed = () => new Error(`图表程序没能加载（${script.src}）`);
  // The page's own tag may be over before the first chart asks: its outcome is on the tag (index.html.j2).
  if (script.dataset.state === "failed") return Promise.reject(failed());
  if (script.dataset.state === "loaded") return Promise.resolve();
  return new Promise((resolve, reject) => {
    script.addEventListener("load", resolve, { once: true });
    script.addEventListener("error", () => reject(failed()), { once: true });
  });
}

let plotly = null;
function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotly) {
    let script = document.getElementById("sgz-plotly");
    if (!script) {
      // Outside a dashboard page: add the locale, then plotly.js, in that order.
      for (const name of FILES) {
        const tag = document.createElement("script");
        tag.src = baseUrl() + PREFIX + name;
        tag.async = false;
        if (name === FILES[FILES.length - 1]) tag.id = "sgz-plotly";
        tag.addEventListener("load", () => { tag.dataset.state = "loaded"; }, { once: true });
        tag.addEventListener("error", () => { tag.dataset.state = "failed"; }, { once: true });
        document.head.appendChild(tag);
        script = tag;
      }
    }
    plotly = window.Plotly ? Promise.resolve() : loaded(script);
    plotly = plotly.then(() => window.Plotly);
  }
  return plotly;
}

function render({ model, el }) {
  const div = document.createElement("div");
  div.className = "sgz-chart";
  el.appendChild(div);
  let alive = true;
  let drawing = Promise.resolve();
  const width = () => Math.round(el.getBoundingClientRect().width);
  // The first drawing waits until the view is in the page. The widget manager calls render before it
  // puts the view there, and plotly lays out a plot in a detached element at its default 700 px: in a
  // wider panel that plot stayed 700 px wide.
  const attached = new Promise((resolve) => {
    const check = () => (el.isConnected ? resolve() : requestAnimationFrame(check));
    check();
  });
  let drawnWidth = null; // the panel's width when the plot was last laid out
  const draw = () => {
    drawing = drawing
      .then(() => Promise.all([whenPlotly(), attached]))
      .then(([Plotly]) => {
        if (!alive) return;
        const spec = model.get("spec") || {};
        // The width the plot is laid out at; a panel as wide as its content (side by side in a row)
        // has none before the plot is drawn, and then the plot's.
        const laidOut = width();
        return Plotly.react(div, spec.data || [], spec.layout || {}, spec.config || {})
          .then(() => { drawnWidth = laidOut || width(); });
      })
      .catch((error) => {
        div.textContent = error.message;
        div.className = "sgz-empty";
      });
  };
  draw();
  model.on("change:spec", draw);
  // Follow the panel's width (a resized window, a scroll bar that appears). Only a width other than the
  // one the plot was laid out at redraws, once per frame: the observer also fires for the plot's own
  // first drawing and for height changes, and while a page's charts are being drawn, redrawing each of
  // them on every such call kept plotly busy for a second or more after the last chart was there.
  let pending = false;
  const resize = new ResizeObserver(() => {
    const now = width();
    if (drawnWidth === null || now === drawnWidth || pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const latest = width();
      if (!alive || latest === 0 || latest === drawnWidth || !window.Plotly || !div.classList.contains("js-plotly-plot")) return;
      drawnWidth = latest;
      window.Plotly.Plots.resize(div);
    });
  });
  resize.observe(el);
  return () => {
    alive = false;
    model.off("change:spec", draw);
    resize.disconnect();
    if (window.Plotly) window.Plotly.purge(div);
  };
}

export default { render };
