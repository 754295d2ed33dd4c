// uPlot is not imported by the browser code: the page inlines uPlot's IIFE build as a <script> of its own,
// which defines the global uPlot. This brings in its declarations (class and namespace) as that global;
// tsconfig.client.json has allowUmdGlobalAccess so modules may use it.
/// <reference types="uplot" />
