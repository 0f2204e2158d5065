// The minutes' "print" button: the browser's own print dialog (A4, see print.css @page).
document.getElementById("mp-print")?.addEventListener("click", () => window.print());
