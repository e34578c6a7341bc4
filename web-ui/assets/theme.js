// Applies the agent's stored theme before the app loads, so there is no flash of the wrong one.
// (The app itself switches it; see src/hooks/use_theme.rs.)
try {
  var theme = localStorage.getItem("loket-theme");
  if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
} catch (e) {}
