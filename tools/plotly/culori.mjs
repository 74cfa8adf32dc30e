// What Plotly's colour code (src/components/color/index.js) takes from culori, from culori's
// tree-shakable `culori/fn` with only the colour spaces it converts between: sRGB (which
// parses hex, rgb()/rgba(), named colours and "transparent"), HSL (it parses hsl(), and
// Plotly's brighten/darken go through it) and linear RGB (WCAG luminance). Plotly's
// `require("culori")` would take the whole bundled culori, every colour space (64 kB
// minified). The cost: CSS colours in other spaces (lab(), oklch(), hwb()…) are not parsed;
// no lab uses them.
import { converter, formatHex, formatRgb, modeHsl, modeLrgb, modeRgb, useMode, wcagContrast, wcagLuminance } from "culori/fn";

useMode(modeRgb);
useMode(modeHsl);
useMode(modeLrgb);

export { converter, formatHex, formatRgb, wcagContrast, wcagLuminance };
