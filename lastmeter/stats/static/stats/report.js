// The report's "print" button: the browser's own print dialog (A4, see report.css @page).
document.getElementById("rp-print")?.addEventListener("click", () => window.print());
