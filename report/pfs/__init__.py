"""Import the CMS Physician Fee Schedule relative value file: reader, plan, writer, command."""
