// bpmn-js' viewer and modeler bundles both define the global BpmnJS: the modeller page loads the
// viewer first (for comparing versions side by side), keeps it here, then loads the modeler.
window.KedjaBpmnViewer = window.BpmnJS;
